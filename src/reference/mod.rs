//! Built-in reference submissions: the trivial baselines every board needs, computed from the
//! benchmark's public data (stimuli and training responses, never the held-out truth) and
//! written as ordinary submissions in `submissions/<id>/`, so they are validated, scored and
//! ranked exactly like a team's.

pub mod baselines;
