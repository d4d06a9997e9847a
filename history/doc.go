// Package history keeps a bounded log of the reboot events of each group in etcd, next to the
// group's semaphore key, for locksmithctl history, why and the timeline.
//
// # Keys
//
// For the semaphore key K of a group (see semaphore.Key), the log lives under K + "/history/":
//
//	K/history/seq                     the number of the last event, in decimal
//	K/history/events/<20-digit seq>   one event, as JSON (see [Event])
//
// [Log.Append] writes an event, its number and the removal of the events that fall out of the
// bound in one transaction, which compares the mod revision of the seq key: two writers never
// take the same number, and the log never holds more than its limit. Old tools read only K, so
// they see no difference; the semaphore value does not grow.
package history
