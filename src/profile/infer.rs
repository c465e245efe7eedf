//! Inferring a profile from a sample document (`flowgate profile import`).
