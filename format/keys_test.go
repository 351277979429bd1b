package format

import "testing"

func TestHideKeys(t *testing.T) {
	tests := []struct{ typ, in, want string }{
		{"crypt", "aes-xts-plain64 0123abcd 0 7:2 0", "aes-xts-plain64 00000000 0 7:2 0"},
		{"crypt", "aes-xts-plain64 :64:logon:cryptsetup:key 0 7:2 0", "aes-xts-plain64 :64:logon:cryptsetup:key 0 7:2 0"},
		{"crypt", "aes-cbc-essiv:sha256 - 0 8:1 0", "aes-cbc-essiv:sha256 0 0 8:1 0"},
		{"crypt", "aes-xts-plain64 abcdef", "aes-xts-plain64 000000"},
		{"crypt", "aes-xts-plain64", "aes-xts-plain64"},
		{"crypt", "aes-xts-plain64 ", "aes-xts-plain64 "},
		{"crypt", "aes  key", "aes  key"},
		{"crypt", " key rest", " 000 rest"},
		{"crypt", "", ""},
		{"linear", "8:16 0", "8:16 0"},
		{"thin-pool", "7:1 7:0 128 32768 1 skip_block_zeroing", "7:1 7:0 128 32768 1 skip_block_zeroing"},
		{"integrity",
			"8:16 0 32 J 3 internal_hash:hmac(sha256):0a1b journal_crypt:cbc(aes):ffee journal_mac:hmac(sha1):99",
			"8:16 0 32 J 3 internal_hash:hmac(sha256):0000 journal_crypt:cbc(aes):0000 journal_mac:hmac(sha1):00"},
		{"integrity", "8:16 0 32 J 2 internal_hash:crc32c journal_sectors:1024", "8:16 0 32 J 2 internal_hash:crc32c journal_sectors:1024"},
		{"integrity", "8:16 0 32 J 1 internal_hash:crc32c", "8:16 0 32 J 1 internal_hash:crc32c"},
		{"integrity", "8:16 0 32 J 1 internal_hash:hmac:", "8:16 0 32 J 1 internal_hash:hmac:"},
		{"integrity", "8:16 0 32 J 1 journal_mac:hmac(sha256):k1 journal_mac:x:k2", "8:16 0 32 J 1 journal_mac:hmac(sha256):00 journal_mac:x:k2"},
		{"crypt", "integrity-ish internal_hash:a:b", "integrity-ish 00000000000000000"},
	}
	for _, tc := range tests {
		if got := hideKeys(tc.typ, tc.in); got != tc.want {
			t.Errorf("hideKeys(%q, %q) = %q, want %q", tc.typ, tc.in, got, tc.want)
		}
	}
}

// FuzzHideKeys checks that hiding never panics, keeps the length, changes
// only bytes it turns into '0', and is idempotent.
func FuzzHideKeys(f *testing.F) {
	f.Add("crypt", "aes-xts-plain64 0123abcd 0 7:2 0")
	f.Add("crypt", "aes :32:logon:k 0 7:2 0")
	f.Add("integrity", "8:16 0 32 J 1 internal_hash:hmac(sha256):0a1b")
	f.Add("integrity", "internal_hash:journal_crypt:journal_mac:")
	f.Fuzz(func(t *testing.T, typ, params string) {
		got := hideKeys(typ, params)
		if len(got) != len(params) {
			t.Fatalf("hideKeys(%q, %q) = %q, want the same length", typ, params, got)
		}
		for i := range got {
			if got[i] != params[i] && got[i] != '0' {
				t.Fatalf("hideKeys(%q, %q) = %q, changed byte %d to %q, want only '0'", typ, params, got, i, got[i])
			}
		}
		if again := hideKeys(typ, got); again != got {
			t.Fatalf("hideKeys(%q, %q) = %q, want idempotent %q", typ, got, again, got)
		}
		if typ != "crypt" && typ != "integrity" && got != params {
			t.Fatalf("hideKeys(%q, %q) = %q, want unchanged", typ, params, got)
		}
	})
}
