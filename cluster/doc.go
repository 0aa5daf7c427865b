// Package cluster is where locker meets protoactor's cluster. Today it
// re-exports the membership view and the reply sink, which live in
// internal packages; cluster/clustertest is an in-memory network of real
// actor systems for tests.
package cluster
