// Package remotetest tests the lease store over real protoactor remoting
// on loopback: three actor systems in one process, each with its own gRPC
// server on 127.0.0.1 at a port chosen by the OS, each running a locker
// node whose masters are the three systems.
//
// Every test and benchmark file of this package carries the build
// constraint !race, so that under -race the package builds with no test
// files. protoactor's remote and grpc race internally: remote.Start sets
// grpc's global logger (grpclog.SetLoggerV2) while the gRPC servers of the
// systems started before it read that logger, which the race detector
// reports in every test that starts more than one remote. The store's own
// concurrency is covered with -race by the tests of the root package and
// its subpackages, which run protoactor without remoting.
//
// The package holds no code of its own: this file only documents it.
package remotetest
