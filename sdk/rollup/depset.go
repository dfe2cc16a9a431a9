package rollup

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
)

// MessageExpiryWindow is how long, in seconds, an initiating message can be
// executed after its timestamp (interop, from Lagoon).
const MessageExpiryWindow = 604800

// DependencySet is the set of chains, the chain itself included, whose
// messages the chain's blocks may execute. Its JSON form is op-supernode's
// --dependency-set file: {"dependencies":{"<chain id>":{},...}}.
type DependencySet struct {
	chains []uint64 // sorted, distinct
}

// NewDependencySet returns the set of the given chain ids.
func NewDependencySet(chains ...uint64) *DependencySet {
	s := &DependencySet{chains: slices.Clone(chains)}
	slices.Sort(s.chains)
	s.chains = slices.Compact(s.chains)
	return s
}

// Chains returns the member chain ids in ascending order.
func (s *DependencySet) Chains() []uint64 {
	if s == nil {
		return nil
	}
	return slices.Clone(s.chains)
}

// Contains reports whether id is a member.
func (s *DependencySet) Contains(id uint64) bool {
	if s == nil {
		return false
	}
	_, ok := slices.BinarySearch(s.chains, id)
	return ok
}

// Interop reports whether the set has more than one chain: only then does a
// chain take part in interop, and its Lagoon activation block carries the
// interop wrappers around the upgrade bundle (op-node tests
// len(depSet.Chains()) > 1).
func (s *DependencySet) Interop() bool { return s != nil && len(s.chains) > 1 }

// Validate checks that the set is not empty and has no zero chain id.
func (s *DependencySet) Validate() error {
	if s == nil || len(s.chains) == 0 {
		return errors.New("no chains")
	}
	if s.chains[0] == 0 {
		return errors.New("chain id 0")
	}
	return nil
}

type depsetJSON struct {
	Dependencies map[string]struct{} `json:"dependencies"`
}

// MarshalJSON writes op-supernode's dependency set format.
func (s *DependencySet) MarshalJSON() ([]byte, error) {
	out := depsetJSON{Dependencies: map[string]struct{}{}}
	for _, id := range s.Chains() {
		out.Dependencies[strconv.FormatUint(id, 10)] = struct{}{}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads op-supernode's dependency set format. Per-chain
// settings are accepted and ignored: opal needs the members only.
func (s *DependencySet) UnmarshalJSON(b []byte) error {
	var in struct {
		Dependencies map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("dependency set: %w", err)
	}
	if in.Dependencies == nil {
		return errors.New(`dependency set: no "dependencies" object`)
	}
	ids := make([]uint64, 0, len(in.Dependencies))
	for k := range in.Dependencies {
		id, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return fmt.Errorf("dependency set: chain id %q is not a decimal number", k)
		}
		ids = append(ids, id)
	}
	*s = *NewDependencySet(ids...)
	return nil
}

// checkDependencySet checks the set against the chain: it must hold the
// chain itself.
func checkDependencySet(s *DependencySet, self *big.Int) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if self != nil && self.IsUint64() && !s.Contains(self.Uint64()) {
		return fmt.Errorf("does not contain the chain itself (l2_chain_id %d)", self.Uint64())
	}
	return nil
}
