package l1source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// maxBeaconBody bounds a beacon answer: a slot's sidecars as JSON are
// about 270 KB per blob, and blocks carry a few dozen blobs at most.
const maxBeaconBody = 128 << 20

// beaconEndpoint is one beacon API (a beacon node or a blob archiver).
type beaconEndpoint struct {
	health
	name string
	base string // URL without a trailing slash
	hc   *http.Client
}

func (b *beaconEndpoint) healthOf() *health { return &b.health }

// beaconClient fetches blobs from the beacon endpoints: the configured
// beacon first, then the fallbacks.
type beaconClient struct {
	eps     []*beaconEndpoint
	timeout time.Duration
	retries int

	mu       sync.Mutex
	genesis  uint64 // beacon genesis time
	slotSecs uint64 // seconds per slot; 0 until known
}

func newBeaconClient(s settings) *beaconClient {
	bc := &beaconClient{timeout: s.timeout, retries: s.retries}
	for i, u := range s.beacons {
		ep := &beaconEndpoint{name: "beacon " + redact(u), base: strings.TrimRight(u, "/")}
		if i > 0 {
			ep.name = fmt.Sprintf("beacon_fallbacks[%d] %s", i-1, redact(u))
		}
		ep.hc = newHTTPClient(&ep.health)
		bc.eps = append(bc.eps, ep)
	}
	return bc
}

func (bc *beaconClient) close() {
	for _, ep := range bc.eps {
		ep.hc.CloseIdleConnections()
	}
}

// get makes one GET request and decodes the JSON answer into out.
func (bc *beaconClient) get(ctx context.Context, ep *beaconEndpoint, path string, out any) error {
	rctx, cancel := context.WithTimeout(ctx, bc.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, ep.base+path, nil)
	if err != nil {
		return &requestError{ep: ep.name, method: "GET " + path, msg: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ep.hc.Do(req)
	if err != nil {
		return bc.transportError(ctx, ep, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBeaconBody+1))
	if err != nil {
		return bc.transportError(ctx, ep, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		s := resp.StatusCode
		// 404: the node does not have the slot (not yet, or pruned): the
		// next endpoint (an archiver) may, and this one may catch up.
		retry := s == http.StatusNotFound || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500
		return &requestError{ep: ep.name, method: "GET " + path, msg: "HTTP " + statusText(s, body), retry: retry}
	}
	if len(body) > maxBeaconBody {
		return fmt.Errorf("%w: %s: GET %s: answer larger than %d bytes", ErrBadResponse, ep.name, path, maxBeaconBody)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: %s: GET %s: %v", ErrBadResponse, ep.name, path, err)
	}
	return nil
}

func (bc *beaconClient) transportError(ctx context.Context, ep *beaconEndpoint, path string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		// Reported as text, as for JSON-RPC requests (see endpoint.request).
		msg = fmt.Sprintf("no answer within %s", bc.timeout)
	}
	return &requestError{ep: ep.name, method: "GET " + path, msg: msg, retry: true}
}

// timing returns the beacon chain's genesis time and slot length, asked
// once and kept: they never change.
func (bc *beaconClient) timing(ctx context.Context) (genesis, slotSecs uint64, err error) {
	bc.mu.Lock()
	genesis, slotSecs = bc.genesis, bc.slotSecs
	bc.mu.Unlock()
	if slotSecs != 0 {
		return genesis, slotSecs, nil
	}
	err = failover(ctx, "beacon genesis and spec", bc.eps, bc.retries, func(ctx context.Context, ep *beaconEndpoint) error {
		var g struct {
			Data struct {
				GenesisTime json.RawMessage `json:"genesis_time"`
			} `json:"data"`
		}
		if err := bc.get(ctx, ep, "/eth/v1/beacon/genesis", &g); err != nil {
			return err
		}
		var s struct {
			Data struct {
				SecondsPerSlot json.RawMessage `json:"SECONDS_PER_SLOT"`
			} `json:"data"`
		}
		if err := bc.get(ctx, ep, "/eth/v1/config/spec", &s); err != nil {
			return err
		}
		gt, err1 := jsonUint(g.Data.GenesisTime)
		ss, err2 := jsonUint(s.Data.SecondsPerSlot)
		switch {
		case err1 != nil:
			return fmt.Errorf("%w: %s: genesis_time: %v", ErrBadResponse, ep.name, err1)
		case err2 != nil || ss == 0:
			return fmt.Errorf("%w: %s: SECONDS_PER_SLOT %s: not a positive number", ErrBadResponse, ep.name, s.Data.SecondsPerSlot)
		}
		genesis, slotSecs = gt, ss
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	bc.mu.Lock()
	bc.genesis, bc.slotSecs = genesis, slotSecs
	bc.mu.Unlock()
	return genesis, slotSecs, nil
}

// jsonUint reads a uint64 written as a decimal string (the beacon API's
// way) or a number.
func jsonUint(raw json.RawMessage) (uint64, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	return strconv.ParseUint(strings.TrimSpace(s), 10, 64)
}

// slotOf returns the slot of an execution block's timestamp.
func (bc *beaconClient) slotOf(ctx context.Context, blockTime uint64) (uint64, error) {
	genesis, secs, err := bc.timing(ctx)
	if err != nil {
		return 0, err
	}
	if blockTime < genesis || (blockTime-genesis)%secs != 0 {
		return 0, fmt.Errorf("%w: L1 block time %d is not a slot of the beacon chain (genesis %d, %d s per slot): is the beacon endpoint of the same chain?",
			eth.ErrTemporary, blockTime, genesis, secs)
	}
	return (blockTime - genesis) / secs, nil
}
