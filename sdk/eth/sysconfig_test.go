package eth

import (
	"errors"
	"testing"
)

func TestCheckEcotoneScalar(t *testing.T) {
	ok := []Bytes32{{}, {31: 5}, {0: 1, 24: 1, 31: 1}}
	for _, s := range ok {
		if err := CheckEcotoneScalar(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if err := CheckEcotoneScalar(Bytes32{27: 1}); !errors.Is(err, ErrBedrockScalarPadding) {
		t.Errorf("v0 padding: %v", err)
	}
	for _, s := range []Bytes32{{0: 1, 23: 1}, {0: 2}} {
		if err := CheckEcotoneScalar(s); err == nil || errors.Is(err, ErrBedrockScalarPadding) {
			t.Errorf("%s: %v", s, err)
		}
	}
}
