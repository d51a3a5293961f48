//! Pod decoration: turning a decorated ProwJob's Pod spec into one that runs the pod utilities.
