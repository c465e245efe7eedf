//! XML documents: parsing into template values, splitting, wrapping, escaping.
