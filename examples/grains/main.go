// Command grains runs three protoactor cluster members as OS processes on
// 127.0.0.1, with lockercluster as their identity lookup, and a counter
// grain.
//
// With no flags it plays the whole story and exits on its own: it starts
// three copies of itself (the members), asks one of them to increment the
// counter grain "c" a few times, kills the grain's host, and keeps asking
// until the grain answers from another member, with a greater fencing
// token; then the members shut down gracefully and it prints what
// happened.
//
//	go run ./examples/grains
//
// With -id and -peers it runs one member, for three terminals:
//
//	go run ./examples/grains -id 1 -peers 127.0.0.1:8201,127.0.0.1:8202,127.0.0.1:8203
//	go run ./examples/grains -id 2 -peers 127.0.0.1:8201,127.0.0.1:8202,127.0.0.1:8203
//	go run ./examples/grains -id 3 -peers 127.0.0.1:8201,127.0.0.1:8202,127.0.0.1:8203
//
// A member reads commands on its standard input: "inc NAME" increments
// the counter grain NAME and prints "count NAME HOST TOKEN VALUE"; "quit",
// or the end of the input, shuts the member down gracefully.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	id := flag.Int("id", 0, "this member's position in -peers, from 1; 0 runs the three-process demo")
	peers := flag.String("peers", "", "comma-separated host:port of the three members (with -id)")
	lease := flag.Duration("lease", 2*time.Second, "the activation lease: how long a dead host's grains stay unavailable")
	bootstrap := flag.Bool("bootstrap", true, "the first start of a new cluster (false when a member restarts)")
	flag.Parse()

	var err error
	if *id == 0 {
		err = demo(*lease)
	} else {
		err = runMember(*id, strings.Split(*peers, ","), *lease, *bootstrap)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "grains:", err)
		os.Exit(1)
	}
}
