//! Frame-level detection metrics.

/// Area under the ROC curve of `scores` against `labels` (the probability that a random speech
/// frame scores above a random non-speech frame, ties counting half). `None` when one class is
/// absent.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f32, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = pairs.iter().filter(|pair| pair.1).count();
    let negatives = pairs.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // Mann-Whitney U from the rank sum of the positives, with average ranks for ties.
    let mut rank_sum = 0.0f64;
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start;
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            end += 1;
        }
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = pairs[start..end].iter().filter(|pair| pair.1).count();
        rank_sum += average_rank * tied_positives as f64;
        start = end;
    }
    let positives = positives as f64;
    let u = rank_sum - positives * (positives + 1.0) / 2.0;
    Some(u / (positives * negatives as f64))
}

/// Precision, recall and F1 of "score >= threshold" as the speech decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// Share of frames called speech that are speech.
    pub precision: f64,
    /// Share of speech frames called speech.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Detection quality at `threshold`.
pub fn detection(scores: &[f32], labels: &[bool], threshold: f32) -> Detection {
    let (mut true_positive, mut false_positive, mut false_negative) = (0u64, 0u64, 0u64);
    for (&score, &label) in scores.iter().zip(labels) {
        match (score >= threshold, label) {
            (true, true) => true_positive += 1,
            (true, false) => false_positive += 1,
            (false, true) => false_negative += 1,
            (false, false) => {}
        }
    }
    let ratio = |a: u64, b: u64| {
        if a + b == 0 {
            0.0
        } else {
            a as f64 / (a + b) as f64
        }
    };
    let precision = ratio(true_positive, false_positive);
    let recall = ratio(true_positive, false_negative);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Detection {
        precision,
        recall,
        f1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_inverted_random_and_tied_scores() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &labels), Some(0.5));
        // One positive ties one negative, the other positive is above all: (1 + 0.5 + 1 + 1) / 4.
        assert_eq!(roc_auc(&[0.1, 0.5, 0.5, 0.9], &labels), Some(0.875));
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
    }

    #[test]
    fn f1_counts_decisions_at_the_threshold() {
        let labels = [true, true, false, false, true];
        let result = detection(&[0.9, 0.4, 0.6, 0.1, 0.5], &labels, 0.5);
        assert!((result.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((result.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((result.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(detection(&[0.0; 5], &labels, 0.5).f1, 0.0);
    }
}
