//! Intent levels: the `[[levels]]` rules, evaluated when the flow ends.

use crate::model::{Flow, LevelRule, NodeId};

/// What the call did, as the level rules see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallFacts {
    pub score: i32,
    pub tags: Vec<String>,
    pub rounds: u32,
    /// Normalised keywords, phrases, regexes and digits that matched.
    pub keywords_hit: Vec<String>,
    /// Branch and intent names that matched.
    pub intents_hit: Vec<String>,
    /// Nodes entered.
    pub reached: Vec<NodeId>,
}

impl LevelRule {
    /// True when every condition the rule gives holds.
    pub(crate) fn matches(&self, facts: &CallFacts) -> bool {
        let has_tag = |t: &String| facts.tags.contains(t);
        let any_or_none = |list: &[String], hit: &dyn Fn(&String) -> bool| {
            list.is_empty() || list.iter().any(hit)
        };
        self.score_at_least.is_none_or(|s| facts.score >= s)
            && self.score_at_most.is_none_or(|s| facts.score <= s)
            && self.rounds_at_least.is_none_or(|r| facts.rounds >= r)
            && self.tags_all.iter().all(has_tag)
            && !self.tags_none.iter().any(has_tag)
            && any_or_none(&self.tags_any, &has_tag)
            && any_or_none(&self.keywords_any, &|k| facts.keywords_hit.contains(k))
            && any_or_none(&self.intents_any, &|i| facts.intents_hit.contains(i))
            && (self.nodes_any.is_empty()
                || self.nodes_any.iter().any(|n| facts.reached.contains(n)))
    }
}

/// The level of a call that ends at `ending` (if at a node): the end node's own level, else
/// the first rule that matches, else the flow's default.
pub(crate) fn evaluate(flow: &Flow, ending: Option<NodeId>, facts: &CallFacts) -> Option<String> {
    ending
        .and_then(|id| flow.nodes.get(id))
        .and_then(|node| node.level.clone())
        .or_else(|| {
            flow.levels
                .iter()
                .find(|rule| rule.matches(facts))
                .map(|rule| rule.level.clone())
        })
        .or_else(|| flow.default_level.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> CallFacts {
        CallFacts {
            score: 15,
            tags: vec!["interested".into(), "owner".into()],
            rounds: 4,
            keywords_hit: vec!["price".into()],
            intents_hit: vec!["positive".into()],
            reached: vec![2],
        }
    }

    #[test]
    fn every_condition_must_hold() {
        let f = facts();
        assert!(
            LevelRule::default().matches(&f),
            "no condition always matches"
        );
        let rule = LevelRule {
            score_at_least: Some(10),
            score_at_most: Some(20),
            tags_all: vec!["interested".into(), "owner".into()],
            tags_any: vec!["x".into(), "owner".into()],
            rounds_at_least: Some(4),
            keywords_any: vec!["price".into()],
            intents_any: vec!["positive".into()],
            nodes_any: vec![1, 2],
            ..LevelRule::default()
        };
        assert!(rule.matches(&f));
        let fails = [
            LevelRule {
                score_at_least: Some(16),
                ..rule.clone()
            },
            LevelRule {
                score_at_most: Some(14),
                ..rule.clone()
            },
            LevelRule {
                tags_all: vec!["interested".into(), "vip".into()],
                ..rule.clone()
            },
            LevelRule {
                tags_any: vec!["vip".into()],
                ..rule.clone()
            },
            LevelRule {
                tags_none: vec!["owner".into()],
                ..rule.clone()
            },
            LevelRule {
                rounds_at_least: Some(5),
                ..rule.clone()
            },
            LevelRule {
                keywords_any: vec!["company".into()],
                ..rule.clone()
            },
            LevelRule {
                intents_any: vec!["negative".into()],
                ..rule.clone()
            },
            LevelRule {
                nodes_any: vec![3],
                ..rule.clone()
            },
        ];
        for (i, r) in fails.iter().enumerate() {
            assert!(!r.matches(&f), "rule {i} should not match");
        }
    }
}
