//! node_agent
