package strategy_test

import (
	"fmt"
	"time"

	"locksmith.dev/locksmith/strategy"
)

func ExampleParseSchedule() {
	loc, err := strategy.LoadLocation("Europe/Berlin")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := strategy.ParseSchedule("Mon-Fri 04:00 1h; sat,sun 02:00 4h", loc)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, time.March, 27, 16, 0, 0, 0, time.UTC) // a Friday
	start, end := s.Next(now)
	fmt.Println(s)
	fmt.Println(s.Contains(now))
	fmt.Println(start, "to", end)
	// Output:
	// Sat,Sun 02:00 4h; Mon-Fri 04:00 1h
	// false
	// 2026-03-28 02:00:00 +0100 CET to 2026-03-28 06:00:00 +0100 CET
}

func ExampleParseLocksmithWindow() {
	s, err := strategy.ParseLocksmithWindow("Thu 04:00", "1h30m", time.UTC)
	fmt.Println(s, err)
	_, err = strategy.ParseLocksmithWindow("04:00pm", "1h", time.UTC)
	fmt.Println(err)
	// Output:
	// Thu 04:00 1h30m <nil>
	// reboot window start "04:00pm": trailing "pm" after HH:MM
}
