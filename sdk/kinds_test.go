package sdk_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/opalnode/opal/sdk"
)

// notKinds are the services of sdk/proto that no plugin kind implements.
var notKinds = map[string]string{
	"opal.host.v1.Host": "the node's own service, offered to plugins",
}

// Every field of Components is the member of exactly one table entry, and
// every entry's Get and Set reach its own field and no other.
func TestKindTableMatchesComponents(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[sdk.Components]()
	var fields []string
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	var entries []string
	for _, info := range sdk.KindTable {
		entries = append(entries, info.Field)
	}
	sort.Strings(fields)
	sort.Strings(entries)
	if !slices.Equal(fields, entries) {
		t.Fatalf("Components fields %v, table fields %v", fields, entries)
	}
	conn, err := grpc.NewClient("passthrough:///unused", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	clients := map[sdk.Kind]any{}
	for _, info := range sdk.KindTable {
		gp, ok := info.Plugin(sdk.Components{}).(plugin.GRPCPlugin)
		if !ok {
			t.Fatalf("%s: plugin %T is not a go-plugin GRPCPlugin", info.Kind, info.Plugin(sdk.Components{}))
		}
		raw, err := gp.GRPCClient(context.Background(), nil, conn)
		if err != nil {
			t.Fatalf("%s: client: %v", info.Kind, err)
		}
		clients[info.Kind] = raw
	}
	for _, info := range sdk.KindTable {
		if f, ok := typ.FieldByName(info.Field); !ok || f.Type.Kind() != reflect.Interface {
			t.Errorf("%s: Components.%s is not an interface field", info.Kind, info.Field)
		}
		if info.Get(sdk.Components{}) != nil {
			t.Errorf("%s: Get of the zero Components is not nil", info.Kind)
		}
		var c sdk.Components
		if !info.Set(&c, clients[info.Kind]) {
			t.Fatalf("%s: Set refused the kind's own client %T", info.Kind, clients[info.Kind])
		}
		v := reflect.ValueOf(c)
		for i := range v.NumField() {
			name := typ.Field(i).Name
			if set := !v.Field(i).IsNil(); set != (name == info.Field) {
				t.Errorf("%s: after Set, Components.%s set = %v", info.Kind, name, set)
			}
		}
		if got := info.Get(c); got != clients[info.Kind] {
			t.Errorf("%s: Get returned %v, Set stored %v", info.Kind, got, clients[info.Kind])
		}
		set := c.PluginSet()
		if len(set) != 1 || set[string(info.Kind)] == nil {
			t.Errorf("%s: plugin set of its component alone is %v", info.Kind, set)
		}
		for _, other := range sdk.KindTable {
			if other.Kind == info.Kind {
				continue
			}
			c := sdk.Components{}
			if other.Set(&c, clients[info.Kind]) {
				t.Errorf("%s: Set took a %s client", other.Kind, info.Kind)
			}
			if only := other.Only(sdk.Components{}); !reflect.ValueOf(only).IsZero() {
				t.Errorf("%s: Only of the zero Components is %+v", other.Kind, only)
			}
		}
		// Only keeps the kind's member out of a full set.
		full := sdk.Components{}
		for _, other := range sdk.KindTable {
			other.Set(&full, clients[other.Kind])
		}
		if !reflect.DeepEqual(info.Only(full), c) {
			t.Errorf("%s: Only of every kind is %+v", info.Kind, info.Only(full))
		}
	}
	if n := len(sdk.ClientPluginSet()); n != len(sdk.KindTable) {
		t.Errorf("client plugin set has %d kinds, the table %d", n, len(sdk.KindTable))
	}
}

// The table's kinds, in order, are sdk.Kinds; Describe finds each and
// nothing else; names and versions are the kind's own.
func TestKindTableLookups(t *testing.T) {
	t.Parallel()
	if len(sdk.Kinds) != len(sdk.KindTable) {
		t.Fatalf("Kinds %v, table has %d entries", sdk.Kinds, len(sdk.KindTable))
	}
	seen := map[sdk.Kind]bool{}
	for i, info := range sdk.KindTable {
		if sdk.Kinds[i] != info.Kind || sdk.KindNames()[i] != string(info.Kind) {
			t.Errorf("entry %d is %s; Kinds says %s, KindNames %s", i, info.Kind, sdk.Kinds[i], sdk.KindNames()[i])
		}
		if seen[info.Kind] {
			t.Errorf("%s: declared twice", info.Kind)
		}
		seen[info.Kind] = true
		got, ok := sdk.Describe(info.Kind)
		if !ok || got.Kind != info.Kind || got.ProtoService != info.ProtoService {
			t.Errorf("Describe(%s) = %+v, %v", info.Kind, got, ok)
		}
		if !info.Kind.Valid() || info.Kind.ProtocolVersion() != info.ProtocolVersion || info.ProtocolVersion == "" {
			t.Errorf("%s: Valid %v, ProtocolVersion %q, table %q", info.Kind, info.Kind.Valid(), info.Kind.ProtocolVersion(), info.ProtocolVersion)
		}
		if info.Kind != sdk.Kind(strings.ToLower(string(info.Kind))) || info.Kind == "" {
			t.Errorf("%q: kind names are lowercase config keys", info.Kind)
		}
		if info.Get == nil || info.Set == nil || info.Plugin == nil {
			t.Errorf("%s: a function field is nil", info.Kind)
		}
	}
	for _, k := range []sdk.Kind{"", "host", "L1Source", "teleporter"} {
		if _, ok := sdk.Describe(k); ok || k.Valid() || k.ProtocolVersion() != "" {
			t.Errorf("%q is described as a kind", k)
		}
	}
}

// Each entry's ProtoService is a service of the generated descriptors, the
// one its plugin registers on a gRPC server, and the services declared in
// sdk/proto are exactly the table's and the host's.
func TestKindTableMatchesProtos(t *testing.T) {
	t.Parallel()
	declared := protoServices(t)
	for _, info := range sdk.KindTable {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(info.ProtoService))
		if err != nil {
			t.Errorf("%s: %s is not a generated descriptor: %v", info.Kind, info.ProtoService, err)
		} else if _, ok := d.(protoreflect.ServiceDescriptor); !ok {
			t.Errorf("%s: %s is a %T, not a service", info.Kind, info.ProtoService, d)
		}
		if want := "opal." + string(info.Kind) + ".v1."; !strings.HasPrefix(info.ProtoService, want) {
			t.Errorf("%s: service %s is not in proto package %s", info.Kind, info.ProtoService, strings.TrimSuffix(want, "."))
		}
		if file, ok := declared[info.ProtoService]; !ok {
			t.Errorf("%s: no .proto in sdk/proto declares service %s", info.Kind, info.ProtoService)
		} else if want := filepath.Join("proto", "opal", string(info.Kind), "v1"); filepath.Dir(file) != want {
			t.Errorf("%s: service %s is declared in %s, want a file in %s", info.Kind, info.ProtoService, file, want)
		}
		delete(declared, info.ProtoService)

		s := grpc.NewServer()
		if err := info.Plugin(sdk.Components{}).(plugin.GRPCPlugin).GRPCServer(nil, s); err != nil {
			t.Fatalf("%s: register: %v", info.Kind, err)
		}
		var registered []string
		for name := range s.GetServiceInfo() {
			registered = append(registered, name)
		}
		if len(registered) != 1 || registered[0] != info.ProtoService {
			t.Errorf("%s: plugin registers %v, table says %s", info.Kind, registered, info.ProtoService)
		}
		s.Stop()
	}
	for svc, file := range declared {
		if _, ok := notKinds[svc]; !ok {
			t.Errorf("%s declares service %s, which no KindTable entry names", file, svc)
		}
	}
}

// protoServices returns the full name of every service declared in
// sdk/proto, with the file declaring it.
func protoServices(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("proto", "opal", "*", "*", "*.proto"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .proto files under sdk/proto (%v)", err)
	}
	out := map[string]string{}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		pkg := ""
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if v, ok := strings.CutPrefix(line, "package "); ok {
				pkg = strings.TrimSuffix(strings.TrimSpace(v), ";")
			}
			if v, ok := strings.CutPrefix(line, "service "); ok {
				name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "{"))
				if pkg == "" {
					t.Fatalf("%s: service %s before the package statement", path, name)
				}
				out[pkg+"."+name] = path
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < len(sdk.KindTable) {
		t.Fatalf("found only %v in %v", out, files)
	}
	return out
}
