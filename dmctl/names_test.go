package dmctl

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"pool", true},
		{"docker-8:1-1234-pool", true},
		{strings.Repeat("a", MaxNameLen), true},
		{strings.Repeat("a", MaxNameLen+1), false},
		{"", false},
		{".", false},
		{"..", false},
		{"control", false},
		{"a/b", false},
		{"..a", true},
	}
	for _, tc := range tests {
		if err := ValidateName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	if err := ValidateUUID(strings.Repeat("u", MaxUUIDLen)); err != nil {
		t.Errorf("ValidateUUID(128 bytes) = %v, want nil", err)
	}
	if err := ValidateUUID(strings.Repeat("u", MaxUUIDLen+1)); err == nil {
		t.Errorf("ValidateUUID(129 bytes) = nil, want an error")
	}
}
