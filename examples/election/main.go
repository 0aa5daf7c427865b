// Command election runs a leader election between three OS processes,
// each a master of the lease store, over protoactor remoting on
// 127.0.0.1.
//
// With no flags it plays the whole story and exits on its own: it starts
// three copies of itself (the nodes), and acts as a storage service that
// the leader writes to with its fencing token, refusing any write whose
// token is below the highest it has seen. After the first leader has
// written for a while, it kills that leader's process: another node takes
// over once the dead leader's session has expired. Then it asks the new
// leader to resign, and the last node takes over at once. Then the nodes
// shut down and it prints what happened.
//
//	go run ./examples/election
//
// With -id and -peers it runs one node, for three terminals:
//
//	go run ./examples/election -id 1 -peers 127.0.0.1:8101,127.0.0.1:8102,127.0.0.1:8103
//	go run ./examples/election -id 2 -peers 127.0.0.1:8101,127.0.0.1:8102,127.0.0.1:8103
//	go run ./examples/election -id 3 -peers 127.0.0.1:8101,127.0.0.1:8102,127.0.0.1:8103
//
// A node reads commands on its standard input: "resign" gives up
// leadership, "quit" resigns and closes the session, and the end of the
// input (Ctrl-D) or Ctrl-C stops the node.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	id := flag.Int("id", 0, "this node's position in -peers, from 1; 0 runs the three-process demo")
	peers := flag.String("peers", "", "comma-separated host:port of the three nodes (with -id)")
	ttl := flag.Duration("ttl", 2*time.Second, "the TTL of each node's session: how long a dead leader keeps leading")
	flag.Parse()

	var err error
	if *id == 0 {
		err = demo(*ttl)
	} else {
		err = runNode(*id, strings.Split(*peers, ","), *ttl)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "election:", err)
		os.Exit(1)
	}
}
