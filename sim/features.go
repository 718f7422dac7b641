package sim

// FeatureName returns the name of observation feature id f, as the
// engine names it: "agent:group", "tag", "inv:carbon", "protocol_input:silicon", ...
func FeatureName(f int) string {
	switch {
	case f == FeatGroup:
		return "agent:group"
	case f == FeatFrozen:
		return "agent:frozen"
	case f == FeatEpisodeCompletion:
		return "episode_completion_pct"
	case f == FeatLastAction:
		return "last_action"
	case f == FeatLastReward:
		return "last_reward"
	case f == FeatVibe:
		return "vibe"
	case f == FeatCompass:
		return "agent:compass"
	case f == FeatTag:
		return "tag"
	case f == FeatCooldownRemaining:
		return "cooldown_remaining"
	case f == FeatClipped:
		return "clipped"
	case f == FeatRemainingUses:
		return "remaining_uses"
	case f >= FeatInventory && f < FeatInventory+NumResources:
		return "inv:" + resourceNames[f-FeatInventory]
	case f >= FeatProtocolInput && f < FeatProtocolInput+NumResources:
		return "protocol_input:" + resourceNames[f-FeatProtocolInput]
	case f >= FeatProtocolOutput && f < FeatProtocolOutput+NumResources:
		return "protocol_output:" + resourceNames[f-FeatProtocolOutput]
	}
	return "feature(?)"
}
