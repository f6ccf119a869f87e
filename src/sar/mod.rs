//! Subject access requests.
