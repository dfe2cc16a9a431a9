// Package source is an example L1 source written against opal's sdk only:
// it serves L1 from an `opal archive record` file instead of an L1 node.
// A verifier with it syncs a recorded chain with no L1 node at all, which
// is how a chain builder would put a cache, a data-availability store or
// an archive under the node without forking it.
//
// The archive is read and checked whole when the plugin is configured
// (every record's checksum, the hash links between blocks, the file's
// digest) and then served from memory: a corrupt or truncated file is an
// error at start, naming the byte offset, and never half an answer later.
// The heads (unsafe, safe, finalized) are all the archive's last block: a
// recording does not move.
package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/sdk/base"
	"github.com/opalnode/opal/sdk/eth"
	"github.com/opalnode/opal/sdk/l1archive"
	"github.com/opalnode/opal/sdk/l1source"
)

// Config is the plugin's config table.
type Config struct {
	// Archive is the path of the archive file.
	Archive string `json:"archive"`
	// The node hands every L1 source its L1 settings (--l1, --l1.beacon,
	// --l1.trustrpc, --l1.rpckind); an archive needs none of them, so they
	// are accepted and not used.
	RPC      string `json:"rpc"`
	Beacon   string `json:"beacon"`
	TrustRPC bool   `json:"trust_rpc"`
	RPCKind  string `json:"rpc_kind"`
}

// Source is the L1 source. Its zero value is unconfigured: every read is
// an error until Configure succeeds.
type Source struct {
	mu     sync.RWMutex
	hdr    l1archive.Header
	blocks []*eth.L1BlockData // blocks[i] is block hdr.From+i
	byHash map[common.Hash]int
}

// New returns an unconfigured source.
func New() *Source { return &Source{} }

var errNotConfigured = fmt.Errorf("%w: the archive L1 source is not configured", eth.ErrInvalidArgument)

func (s *Source) Info(context.Context) (base.Info, error) {
	return base.Info{Name: "archive", Version: "0.1.0"}, nil
}

// Configure reads the archive named by the config and checks that it was
// recorded for this chain: its L1, its batch inbox, and the receipts of
// its deposit contract and system config.
func (s *Source) Configure(_ context.Context, req base.ConfigureRequest) error {
	var cfg Config
	if len(req.Config) > 0 {
		dec := json.NewDecoder(bytes.NewReader(req.Config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return fmt.Errorf("%w: archive L1 source config: %v", eth.ErrInvalidArgument, err)
		}
	}
	if cfg.Archive == "" {
		return fmt.Errorf("%w: archive L1 source: set config.archive to the path of an `opal archive record` file", eth.ErrInvalidArgument)
	}
	hdr, blocks, err := load(cfg.Archive)
	if err != nil {
		return fmt.Errorf("%w: archive L1 source: %v", eth.ErrInvalidArgument, err)
	}
	if rc := req.Rollup; rc != nil {
		if rc.L1ChainID != nil && rc.L1ChainID.Uint64() != hdr.L1ChainID {
			return fmt.Errorf("%w: archive %s is of L1 chain %d, the rollup's L1 is chain %d", eth.ErrInvalidArgument, cfg.Archive, hdr.L1ChainID, rc.L1ChainID)
		}
		if hdr.BatchInbox != rc.BatchInboxAddress {
			return fmt.Errorf("%w: archive %s kept the transactions to %s, the rollup's batch inbox is %s", eth.ErrInvalidArgument, cfg.Archive, hdr.BatchInbox, rc.BatchInboxAddress)
		}
		for _, a := range []common.Address{rc.DepositContractAddress, rc.L1SystemConfigAddress} {
			if !slices.Contains(hdr.LogAddresses, a) {
				return fmt.Errorf("%w: archive %s did not keep the logs of %s, which derivation reads", eth.ErrInvalidArgument, cfg.Archive, a)
			}
		}
	}
	byHash := make(map[common.Hash]int, len(blocks))
	for i, b := range blocks {
		byHash[b.Header.Hash()] = i
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hdr, s.blocks, s.byHash = hdr, blocks, byHash
	return nil
}

// load reads and checks the whole archive.
func load(path string) (l1archive.Header, []*eth.L1BlockData, error) {
	r, err := l1archive.Open(path)
	if err != nil {
		return l1archive.Header{}, nil, err
	}
	defer r.Close()
	hdr := r.Header()
	var blocks []*eth.L1BlockData
	for {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			return hdr, blocks, nil
		}
		if err != nil {
			return l1archive.Header{}, nil, fmt.Errorf("%s: %w", path, err)
		}
		blocks = append(blocks, d)
	}
}

func (s *Source) block(number uint64) (*eth.L1BlockData, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.blocks == nil {
		return nil, errNotConfigured
	}
	if number < s.hdr.From || number-s.hdr.From >= uint64(len(s.blocks)) {
		return nil, fmt.Errorf("L1 block %d is outside the archive's %d..%d: %w", number, s.hdr.From, s.hdr.To, eth.ErrNotFound)
	}
	return s.blocks[number-s.hdr.From], nil
}

func (s *Source) blockByHash(hash common.Hash) (*eth.L1BlockData, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.blocks == nil {
		return nil, errNotConfigured
	}
	i, ok := s.byHash[hash]
	if !ok {
		return nil, fmt.Errorf("L1 block %s is not in the archive: %w", hash, eth.ErrNotFound)
	}
	return s.blocks[i], nil
}

func (s *Source) BlockRefByNumber(_ context.Context, number uint64) (eth.L1BlockRef, error) {
	b, err := s.block(number)
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return eth.HeaderRef(b.Header), nil
}

func (s *Source) BlockRefByHash(_ context.Context, hash common.Hash) (eth.L1BlockRef, error) {
	b, err := s.blockByHash(hash)
	if err != nil {
		return eth.L1BlockRef{}, err
	}
	return eth.HeaderRef(b.Header), nil
}

// BlockRefByLabel answers every label with the archive's last block.
func (s *Source) BlockRefByLabel(_ context.Context, label eth.BlockLabel) (eth.L1BlockRef, error) {
	switch label {
	case eth.Unsafe, eth.Safe, eth.Finalized:
	default:
		return eth.L1BlockRef{}, fmt.Errorf("%w: label %v", eth.ErrInvalidArgument, label)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.blocks == nil {
		return eth.L1BlockRef{}, errNotConfigured
	}
	return eth.HeaderRef(s.blocks[len(s.blocks)-1].Header), nil
}

// BlockData serves what the archive kept of a block, narrowed to the
// request. A request for data the archive did not keep (another inbox, the
// logs of another contract, blobs of an archive recorded without them) is
// an error, never an answer with that data left out.
func (s *Source) BlockData(_ context.Context, req l1source.BlockDataRequest) (*eth.L1BlockData, error) {
	var b *eth.L1BlockData
	var err error
	if req.Hash != nil {
		b, err = s.blockByHash(*req.Hash)
	} else {
		b, err = s.block(req.Number)
	}
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	hdr := s.hdr
	s.mu.RUnlock()
	if req.BatchInbox != hdr.BatchInbox {
		return nil, fmt.Errorf("%w: the archive kept the transactions to %s, not to %s", eth.ErrUnsupported, hdr.BatchInbox, req.BatchInbox)
	}
	for _, a := range req.LogAddresses {
		if !slices.Contains(hdr.LogAddresses, a) {
			return nil, fmt.Errorf("%w: the archive did not keep the logs of %s", eth.ErrUnsupported, a)
		}
	}
	out := &eth.L1BlockData{Header: b.Header, BatcherTxs: b.BatcherTxs}
	for _, r := range b.Receipts {
		var logs []eth.Log
		for _, l := range r.Logs {
			if slices.Contains(req.LogAddresses, l.Address) {
				logs = append(logs, l)
			}
		}
		if len(logs) > 0 {
			out.Receipts = append(out.Receipts, eth.Receipt{TxIndex: r.TxIndex, Status: r.Status, Logs: logs})
		}
	}
	if req.Blobs {
		if !hdr.Blobs && hasBlobTxs(b) {
			return nil, fmt.Errorf("%w: L1 block %d has blob batcher transactions and the archive was recorded without blobs (record it with --l1.beacon)", eth.ErrUnsupported, b.Header.Number)
		}
		out.Blobs = b.Blobs
	}
	return out, nil
}

// hasBlobTxs reports whether a block's batcher transactions carry blobs
// (type 3, the first byte of their encoding).
func hasBlobTxs(b *eth.L1BlockData) bool {
	for _, tx := range b.BatcherTxs {
		if len(tx.Raw) > 0 && tx.Raw[0] == 3 {
			return true
		}
	}
	return false
}

// WatchHeads reports the archive's last block as every head once, then
// waits: a recording does not move.
func (s *Source) WatchHeads(ctx context.Context, fn func(l1source.HeadUpdate)) error {
	for _, l := range []eth.BlockLabel{eth.Unsafe, eth.Safe, eth.Finalized} {
		ref, err := s.BlockRefByLabel(ctx, l)
		if err != nil {
			return err
		}
		fn(l1source.HeadUpdate{Label: l, Ref: ref})
	}
	<-ctx.Done()
	return ctx.Err()
}
