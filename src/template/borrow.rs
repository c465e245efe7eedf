//! Reading through template values by reference.
//!
//! A lookup such as `doc.Order.Lines.Line` passes through the context, the
//! document and two elements before it reaches what it is after. Through
//! minijinja's `get_attr` every one of those is a cloned `Value` (an atomic
//! reference count taken and dropped) and a call through the object's
//! vtable. The objects templates read through most — the context
//! ([`Scope`]), a `$for` binding ([`Bound`]) and an XML element — keep their
//! entries as values, so a path through them can borrow each step and clone
//! only what it ends on. Anything else is asked as minijinja would ask it.

use std::borrow::Cow;

use minijinja::Error;
use minijinja::value::{Value, ValueKind};

use super::context::{Bound, Scope};
use crate::doc::xml::Element;

/// `value.name` by reference, when `value` is an object that lends its
/// entries: `Some(None)` when it has no such entry (undefined), `None` when
/// the entry is not one it keeps (or `value` is no such object), and the
/// object must be asked.
pub(crate) fn entry<'a>(value: &'a Value, name: &str) -> Option<Option<&'a Value>> {
    if let Some(element) = value.downcast_object_ref::<Element>() {
        return Some(element.entry(name));
    }
    context_entry(value, name)
}

/// [`entry`] of a template's context, which is a [`Scope`] or a [`Bound`]
/// over one: asked for those alone, without first asking whether it is an
/// element (each ask is a call through the object's vtable).
pub(super) fn context_entry<'a>(value: &'a Value, name: &str) -> Option<Option<&'a Value>> {
    if let Some(scope) = value.downcast_object_ref::<Scope>() {
        return scope.entry(name);
    }
    value.downcast_object_ref::<Bound>()?.entry(name)
}

/// Whether `value` is an error value. An object never is, and is not
/// asked for its kind (a call through its vtable) to find that out.
pub(crate) fn is_invalid(value: &Value) -> bool {
    value.as_object().is_none() && value.kind() == ValueKind::Invalid
}

/// The items of an iterable value: by reference for a list that keeps
/// them as values (every list of a document), collected for any other.
pub(crate) fn items(value: &Value) -> Result<Cow<'_, [Value]>, Error> {
    match value.downcast_object_ref::<Vec<Value>>() {
        Some(items) => Ok(Cow::Borrowed(items)),
        None => Ok(Cow::Owned(value.try_iter()?.collect())),
    }
}

/// A value reached on a path: borrowed from what it was read through, or
/// made by the object that was asked for it.
pub(crate) enum Got<'a> {
    Ref(&'a Value),
    Own(Value),
}

impl<'a> Got<'a> {
    pub(crate) fn value(&self) -> &Value {
        match self {
            Got::Ref(value) => value,
            Got::Own(value) => value,
        }
    }

    pub(crate) fn into_owned(self) -> Value {
        match self {
            Got::Ref(value) => value.clone(),
            Got::Own(value) => value,
        }
    }

    /// `context.name`, the first step of a path, as [`Got::attr`] gives it.
    pub(crate) fn root(context: &'a Value, name: &str) -> Result<Got<'a>, Error> {
        match context_entry(context, name) {
            Some(Some(found)) => Ok(Got::Ref(found)),
            Some(None) => Ok(Got::Own(Value::UNDEFINED)),
            None => Got::Ref(context).attr(name),
        }
    }

    /// `self.name` as minijinja's `get_attr` gives it: undefined when
    /// missing, an error when `self` is undefined.
    pub(crate) fn attr(self, name: &str) -> Result<Got<'a>, Error> {
        match self {
            Got::Ref(value) => match entry(value, name) {
                Some(Some(found)) => Ok(Got::Ref(found)),
                Some(None) => Ok(Got::Own(Value::UNDEFINED)),
                None => value.get_attr(name).map(Got::Own),
            },
            Got::Own(value) => match entry(&value, name) {
                Some(found) => Ok(Got::Own(found.cloned().unwrap_or(Value::UNDEFINED))),
                None => value.get_attr(name).map(Got::Own),
            },
        }
    }

    /// `self[key]` as minijinja's `get_item` gives it: with a string key an
    /// object is asked what `get_attr` asks it.
    pub(crate) fn item(self, key: &Value) -> Result<Got<'a>, Error> {
        if let (Got::Ref(value), Some(name)) = (&self, key.as_str())
            && let Some(found) = entry(value, name)
        {
            return Ok(found.map_or(Got::Own(Value::UNDEFINED), Got::Ref));
        }
        self.value().get_item(key).map(Got::Own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(xml: &str) -> Value {
        crate::doc::xml::parse(xml, &Default::default()).unwrap()
    }

    #[test]
    fn paths_through_elements_are_borrowed_and_equal_get_attr() {
        let doc =
            element("<Order currency=\"EUR\"><Id>A-1</Id><Line>1</Line><Line>2</Line></Order>");
        let order = Got::Ref(&doc).attr("Order").unwrap();
        assert!(matches!(order, Got::Ref(_)));
        let id = order.attr("Id").unwrap();
        assert!(matches!(id, Got::Ref(_)));
        let expected = doc.get_attr("Order").unwrap().get_attr("Id").unwrap();
        assert_eq!(id.into_owned(), expected);
        let order = Got::Ref(&doc).attr("Order").unwrap();
        let currency = order.item(&Value::from("@currency")).unwrap();
        assert_eq!(currency.into_owned(), Value::from("EUR"));
        let order = Got::Ref(&doc).attr("Order").unwrap();
        assert!(order.attr("Missing").unwrap().value().is_undefined());
        let lines = Got::Ref(&doc).attr("Order").unwrap().attr("Line").unwrap();
        let second = lines.item(&Value::from(1)).unwrap();
        assert_eq!(second.into_owned(), Value::from("2"));
    }

    #[test]
    fn other_values_are_asked_as_minijinja_asks_them() {
        let map = Value::from_pairs([("a", Value::from(1))]);
        assert_eq!(
            Got::Ref(&map).attr("a").unwrap().into_owned(),
            Value::from(1)
        );
        assert!(Got::Ref(&map).attr("b").unwrap().value().is_undefined());
        assert!(
            Got::Own(Value::from("text"))
                .attr("a")
                .unwrap()
                .value()
                .is_undefined()
        );
        assert!(Got::Own(Value::UNDEFINED).attr("a").is_err());
    }
}
