// Package cluster holds what a node knows of the cluster and how it talks
// to it: the membership View (masters, replicas, W) with its validation and
// fingerprint, the shared Membership cell, and the Sink that gathers the
// replies of quorum fan-outs without a future per request.
package cluster
