// Package remotetest tests the lease store over real protoactor remoting on
// loopback: three actor systems in one process, each with its own gRPC
// server on 127.0.0.1 and a port chosen by the OS, each running a locker
// node whose masters are the three systems.
//
// Every test and benchmark file of this package carries the build
// constraint !race: protoactor's remote package and grpc race internally
// (for instance remote.Start sets grpc's global logger, and the endpoint
// manager's stopped flag and connection map are read and written from
// several goroutines without synchronisation), so under -race the package
// builds with no test files. The store's own concurrency is covered with
// -race by the tests of the root package and its subpackages, which use
// protoactor without remoting.
//
// The package holds no code of its own; this file only documents it.
package remotetest
