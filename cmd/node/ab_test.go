package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// abSample is a small report as "opal replay" writes it: the opening run
// record, two divergences, the final run record.
const abSample = `{"kind":"run","primary":"default v1","shadow":"candidate v2","first_l2":0,"last_l2":0,"compared":0,"diverged":0}
{"kind":"divergence","l2_block":105,"parent":{"hash":"0x1111111111111111111111111111111111111111111111111111111111111111","number":104},"timestamp":1700000210,"derived_from":{"hash":"0x2222222222222222222222222222222222222222222222222222222222222222","number":17},"field":"gas_limit","fields":[{"field":"gas_limit","a":"30000000","b":"60000000"}]}
{"kind":"divergence","l2_block":140,"parent":{"hash":"0x3333333333333333333333333333333333333333333333333333333333333333","number":139},"timestamp":1700000280,"derived_from":{"hash":"0x4444444444444444444444444444444444444444444444444444444444444444","number":23},"field":"timestamp","fields":[{"field":"timestamp","a":"1700000280","b":"<b>1700000282\u001b[31m</b>"},{"field":"transactions.count","a":"1","b":"2"}]}
{"kind":"run","primary":"default v1","shadow":"candidate v2","first_l2":100,"last_l2":199,"compared":100,"diverged":2}
`

func TestABReportHTML(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ab.jsonl")
	if err := os.WriteFile(in, []byte(abSample), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ab.html")
	if err := abCmd([]string{"report", in, "--html", out}); err != nil {
		t.Fatalf("ab report: %v", err)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "<svg", "default v1", "candidate v2", "100 … 199", ">2.00%<", "gas_limit", "&lt;b&gt;1700000282"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left behind: %v", err)
	}
}

func TestABReportSummary(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ab.jsonl")
	if err := os.WriteFile(in, []byte(abSample), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"file", []string{"report", in}, "", "run: primary default v1, shadow candidate v2, L2 blocks 100..199\n" +
			"compared 100, diverged 2 (2.00%)\n" +
			"L2 block 105: gas_limit (30000000 → 60000000)\n" +
			"L2 block 140: timestamp (1700000280 → <b>1700000282\uFFFD[31m</b>)\n"},
		{"stdin, no run record", []string{"report", "-"}, strings.Join(strings.Split(abSample, "\n")[1:3], "\n"), "run: no run record, L2 blocks 105..140\n" +
			"compared unknown, diverged 2\n" +
			"note: The report has no run record: the deriver names and the number of blocks compared are unknown, and the L2 range is that of the divergences.\n" +
			"L2 block 105: gas_limit (30000000 → 60000000)\n" +
			"L2 block 140: timestamp (1700000280 → <b>1700000282\uFFFD[31m</b>)\n"},
		{"no divergences", []string{"report", "-"}, strings.Split(abSample, "\n")[3], "run: primary default v1, shadow candidate v2, L2 blocks 100..199\n" +
			"compared 100, diverged 2 (2.00%)\n" +
			"note: The run counted 2 diverged blocks; the report lists 0 of them.\n" +
			"no divergences\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := abMain(tc.args, strings.NewReader(tc.stdin), &out); err != nil {
				t.Fatalf("ab report: %v", err)
			}
			if got := out.String(); got != tc.want {
				t.Errorf("summary:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestABReportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	lines := strings.SplitAfter(abSample, "\n")
	if err := os.WriteFile(bad, []byte(lines[0]+lines[1]+"{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.html")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"report", filepath.Join(dir, "nope.jsonl")}, "nope.jsonl: no such file"},
		{"malformed line", []string{"report", bad, "--html", out}, "bad.jsonl: report line 3:"},
		{"no file", []string{"report"}, "want exactly one FILE"},
		{"no subcommand", nil, "want 'ab report FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := abMain(tc.args, strings.NewReader(""), new(bytes.Buffer))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed report wrote %s: %v", out, err)
	}
}
