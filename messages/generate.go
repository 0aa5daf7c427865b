package messages

//go:generate ./gen.sh
