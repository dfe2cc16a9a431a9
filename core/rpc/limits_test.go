package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/hashicorp/go-hclog"
)

type echoAPI struct{}

func (echoAPI) Echo(s string) string { return s }

func startLimited(t *testing.T, lim Limits) *Server {
	t.Helper()
	srv, err := Start("127.0.0.1", 0, []rpc.API{{Namespace: "test", Service: echoAPI{}}}, lim, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, c *http.Client, addr, body string) (int, string) {
	t.Helper()
	resp, err := c.Post("http://"+addr, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func call(id int, arg string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"test_echo","params":[%q]}`, id, arg)
}

// The request size, batch size and connection limits of the RPC listener.
func TestRPCLimits(t *testing.T) {
	srv := startLimited(t, Limits{MaxRequestBytes: 1024, BatchLimit: 3, BatchMaxBytes: 1 << 20, MaxConnections: 2})
	// No keep-alive: each request is its own connection, so the
	// connection limit below counts only the ones the test holds.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	if code, body := post(t, c, srv.Addr(), call(1, "hi")); code != 200 || !strings.Contains(body, `"result":"hi"`) {
		t.Fatalf("small call: %d %s", code, body)
	}
	if code, _ := post(t, c, srv.Addr(), call(1, strings.Repeat("x", 2000))); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a request over the body limit got %d, want 413", code)
	}

	batch := func(n int) string {
		var calls []string
		for i := range n {
			calls = append(calls, call(i, "b"))
		}
		return "[" + strings.Join(calls, ",") + "]"
	}
	var resps []struct {
		Result string          `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if code, body := post(t, c, srv.Addr(), batch(3)); code != 200 || json.Unmarshal([]byte(body), &resps) != nil || len(resps) != 3 || resps[2].Result != "b" {
		t.Fatalf("batch at the limit: %d %s", code, body)
	}
	code, body := post(t, c, srv.Addr(), batch(4))
	if code != 200 || !strings.Contains(body, "batch too large") {
		t.Fatalf("batch over the limit: %d %s", code, body)
	}

	// Two connections held open use up the limit: a third client is not
	// served until one of them closes.
	var held []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		// A started request keeps the server's side of the connection busy.
		if _, err := conn.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+srv.Addr(), strings.NewReader(call(9, "third")))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := c.Do(req); err == nil {
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		t.Fatalf("a third connection was served past the limit of 2: %d %s", resp.StatusCode, b)
	}
	held[0].Close()
	if code, body := post(t, c, srv.Addr(), call(10, "after")); code != 200 || !strings.Contains(body, "after") {
		t.Fatalf("after a connection closed: %d %s", code, body)
	}
	held[1].Close()
}
