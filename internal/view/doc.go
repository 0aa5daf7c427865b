// Package view holds a node's membership: the View (masters, replicas, W)
// with its validation and fingerprint, and the Membership cell that a
// node's proposers and its lease-holder share.
package view
