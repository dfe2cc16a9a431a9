package statuspage

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opalnode/opal/sdk/eth"
)

// The page is one self-contained HTML file; its data is the source's.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(func(context.Context) *Page {
		return &Page{Version: "test", Heads: []Head{{Name: "unsafe", Ref: eth.L2BlockRef{Number: 7}}}}
	}))
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, html := get("/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(html, "status.json") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, outside := range []string{"http://", "https://", "<link", "src="} {
		if strings.Contains(html, outside) {
			t.Errorf("the page refers to something outside it: %q", outside)
		}
	}
	_, body := get("/status.json")
	var p Page
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Version != "test" || p.Heads[0].Ref.Number != 7 {
		t.Fatalf("status.json: %v %s", err, body)
	}
	if resp, _ := get("/nothing"); resp.StatusCode != 404 {
		t.Fatalf("/nothing: %d", resp.StatusCode)
	}
}

func TestRate(t *testing.T) {
	r := Rate{Window: 10 * time.Second}
	t0 := time.Unix(1000, 0)
	if v := r.Observe(t0, 100); v != 0 {
		t.Fatalf("first observation: %v", v)
	}
	if v := r.Observe(t0.Add(2*time.Second), 110); v != 5 {
		t.Fatalf("rate %v, want 5", v)
	}
	// Old points leave the window.
	r.Observe(t0.Add(20*time.Second), 200)
	if v := r.Observe(t0.Add(22*time.Second), 220); v < 9 || v > 11 {
		t.Fatalf("rate over the window %v, want about 10", v)
	}
}
