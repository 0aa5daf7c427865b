// Command pingpong plays ping-pong between two actors that find each other
// by name, through a locker registry, over real protoactor remoting.
//
// With no flags it runs a scripted demo in one process: three actor
// systems with remoting on 127.0.0.1 (ports chosen by the OS), each a
// master of the lease store. "ping" is registered on node 1 and "pong" on
// node 2; they play a rally by name. Then node 1 crashes: ping's name
// stays held until node 1's registry session expires, after which ping is
// started again on node 3, and pong reaches it there. The demo exits on
// its own.
//
//	go run ./examples/pingpong
//
// With -listen it runs one node per OS process. Start three, with the
// same -masters, in any order:
//
//	go run ./examples/pingpong -listen 127.0.0.1:8001 -masters 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003 -name ping -rounds 5
//	go run ./examples/pingpong -listen 127.0.0.1:8002 -masters 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003 -name pong -rounds 5
//	go run ./examples/pingpong -listen 127.0.0.1:8003 -masters 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003
//
// ping serves once it can see pong, and ends after -rounds exchanges;
// pong ends after returning the last ball. A node without -name is only a
// master of the store: stop it with Ctrl-C.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	listen := flag.String("listen", "", "host:port of this node; empty runs the three-node demo in one process")
	masters := flag.String("masters", "", "comma-separated host:port of the three masters (with -listen)")
	name := flag.String("name", "", "ping or pong: the player this node runs; empty runs a master only (with -listen)")
	rounds := flag.Int("rounds", 5, "ping-pong exchanges to play")
	bootstrap := flag.Bool("bootstrap", false, "the cluster is new: vote at once (with -listen; never on a restart)")
	flag.Parse()

	var err error
	if *listen == "" {
		err = demo(*rounds)
	} else {
		err = single(*listen, strings.Split(*masters, ","), *name, *rounds, *bootstrap)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pingpong:", err)
		os.Exit(1)
	}
}
