// Command gen writes locksmith's manual pages into the directory it is given (docs/man).
package main

import (
	"fmt"
	"os"

	"locksmith.dev/locksmith/internal/manpages"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/manpages/gen DIR")
		os.Exit(2)
	}
	names, err := manpages.Generate(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "manpages:", err)
		os.Exit(1)
	}
	for _, n := range names {
		fmt.Println(n)
	}
}
