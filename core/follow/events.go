package follow

// Update: the source reported a checked status.
type Update struct{ Status Status }

func (Update) String() string { return "follow-update" }
