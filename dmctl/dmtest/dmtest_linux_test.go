package dmtest

import (
	"regexp"
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"TestFoo", "TestFoo"},
		{"TestFoo/sub_case", "TestFoo-sub_case"},
		{"TestFoo/with space/and:colon", "TestFoo-with-space-and-colon"},
		{"TestX/#01", "TestX--01"},
		{"Test/ünï", "Test---n--"}, // bytes, not runes,
		{strings.Repeat("a", 100), strings.Repeat("a", maxTestName)},
	}
	for _, tc := range tests {
		if got := sanitize(tc.in); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestName(t *testing.T) {
	re := regexp.MustCompile(`^dmtest-[0-9a-f]{8}-[A-Za-z0-9_.-]+$`)
	seen := map[string]bool{}
	for _, sub := range []string{"a", "b/c", strings.Repeat("long", 40)} {
		t.Run(sub, func(t *testing.T) {
			got := Name(t)
			if !re.MatchString(got) {
				t.Errorf("Name() = %q, want match %s", got, re)
			}
			if len(got) > 64 {
				t.Errorf("len(Name()) = %d, want <= 64", len(got))
			}
			if seen[got] {
				t.Errorf("Name() = %q twice", got)
			}
			seen[got] = true
		})
	}
}
