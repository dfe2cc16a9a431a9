package p2p

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/opalnode/opal/plugins/p2p/blockmsg"
	sdkp2p "github.com/opalnode/opal/sdk/p2p"
)

// BenchmarkValidate is the validator alone on distinct, correctly signed
// V4 blocks: snappy, signature recovery, SSZ, block hash, fields, height
// record. It reports validated messages per second.
func BenchmarkValidate(b *testing.B) {
	c := newTestChain(b)
	msgs := make([][]byte, 512)
	for i := range msgs {
		env := c.block(b, uint64(1000+i), common.Hash{}, 0)
		env.ExecutionPayload.Timestamp = uint64(time.Now().Unix())
		env.ExecutionPayload.BlockHash = rebuiltHash(b, env, c.cfg)
		msgs[i] = c.message(b, env, blockmsg.V4, c.key)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		// A fresh record per round keeps the height limits out of the way.
		if i%len(msgs) == 0 {
			b.StopTimer()
			v := newValidator(c.cfg, signerOf(c.signer), DefaultTimestampThreshold, nil)
			benchValidator = v
			b.StartTimer()
		}
		if got := benchValidator.validate(blockmsg.V4, msgs[i%len(msgs)]); got.Outcome != Accept {
			b.Fatalf("%s: %s", got.Outcome, got.Reason)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

var benchValidator *validator

// BenchmarkPublishToDelivery is the time from Publish on one node to the
// block reaching the subscriber of its peer, over loopback (median and
// p99 reported; target: under 5 ms median).
func BenchmarkPublishToDelivery(b *testing.B) {
	c := newTestChain(b)
	seq := startPlugin(b, c, nil, map[string]any{"sequencer_key": seqKeyHex(c.key)})
	ver := startPlugin(b, c, nil, map[string]any{"static": listenAddr(b, seq)})
	deadline := time.Now().Add(20 * time.Second)
	for seq.node.mesh.size(seq.node.topics[3].String()) < 1 {
		if time.Now().After(deadline) {
			b.Fatal("no mesh")
		}
		<-time.After(20 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan sdkp2p.Received, 16)
	go func() { _ = ver.Payloads(ctx, func(r sdkp2p.Received) { got <- r }) }()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Each block at a height of its own, stamped now (the gossip
		// window does not look at the number).
		b.StopTimer()
		env := c.block(b, uint64(1000+i), common.Hash{}, 0)
		env.ExecutionPayload.Timestamp = uint64(time.Now().Unix())
		env.ExecutionPayload.BlockHash = rebuiltHash(b, env, c.cfg)
		b.StartTimer()
		t0 := time.Now()
		if err := seq.Publish(ctx, env); err != nil {
			b.Fatal(err)
		}
		select {
		case <-got:
			lat = append(lat, time.Since(t0))
		case <-time.After(5 * time.Second):
			b.Fatalf("block %d not delivered", i)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
