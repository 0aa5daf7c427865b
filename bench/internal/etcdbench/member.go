// Package etcdbench runs etcd under the harness: a three-member cluster
// of embedded etcd servers, one per child process, used through
// client/v3 and its concurrency package from the harness's process.
package etcdbench

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/protolocker/locker/bench/internal/measure"
	"github.com/protolocker/locker/bench/internal/proc"
)

// Role is the child role of an etcd member process.
const Role = "etcd-member"

// ChildMain runs one embedded etcd member in a child process (args:
// -name, -dir). It picks its peer and client ports, says "URLS peer
// client", reads "CLUSTER name=peer,...", starts, says "READY" once the
// member serves, then answers "MEM" with "MEM heap rss" (bytes, heap after
// a full collection) until its stdin closes.
func ChildMain(args []string) error {
	fs := flag.NewFlagSet(Role, flag.ContinueOnError)
	name := fs.String("name", "", "member name")
	dir := fs.String("dir", "", "data directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	peer, err := freeURL()
	if err != nil {
		return err
	}
	client, err := freeURL()
	if err != nil {
		return err
	}
	p := proc.Serve()
	p.Say("URLS %s %s", peer.String(), client.String())
	line, ok := p.Next()
	initial, found := strings.CutPrefix(line, "CLUSTER ")
	if !ok || !found {
		return fmt.Errorf("expected CLUSTER, got %q", line)
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = *name, *dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.InitialCluster, cfg.ClusterState, cfg.InitialClusterToken = initial, embed.ClusterStateFlagNew, "locker-bench"
	cfg.LogLevel = "error"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("member %s not ready after 30s", *name)
	}
	p.Say("READY")
	for {
		line, ok := p.Next()
		if !ok {
			// Every member stops at once: skip the leader's attempt to
			// hand over leadership, which would wait for peers that are
			// going too.
			e.Server.HardStop()
			return nil
		}
		if line == "MEM" {
			p.Say("MEM %d %d", measure.Heap(), measure.RSS())
		}
	}
}

// freeURL returns an http URL on 127.0.0.1 with a port that was free a
// moment ago (the OS picked it; the listener is closed again).
func freeURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	return url.Parse("http://" + addr)
}
