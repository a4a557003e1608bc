//! Intrusive doubly-linked lists over slab indices, one per timeout class.
//!
//! Every flow sits in exactly one list, ordered by last activity: a packet moves its flow
//! to the tail in O(1), and expiry pops from the head while the head is older than the
//! class timeout, so expiry costs O(expired flows), never a table scan.

/// "No index" marker.
const NIL: u32 = u32::MAX;

/// Number of timeout classes.
pub(crate) const CLASSES: usize = 5;

/// The timeout class of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Tcp = 0,
    Udp = 1,
    Other = 2,
    /// TCP flows that closed (FIN both ways or RST), waiting out the linger delay.
    Closing = 3,
    /// TCP connection attempts (SYN unanswered), ordered by their start, which their
    /// timeout counts from.
    Attempt = 4,
}

impl Class {
    pub(crate) const ALL: [Class; CLASSES] = [
        Class::Tcp,
        Class::Udp,
        Class::Other,
        Class::Closing,
        Class::Attempt,
    ];
}

#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
    /// `CLASSES` when not linked.
    class: u8,
}

const UNLINKED: Link = Link {
    prev: NIL,
    next: NIL,
    class: CLASSES as u8,
};

/// The lists. Indices are slab slots; `links` grows with the slab.
#[derive(Debug)]
pub(crate) struct Lru {
    links: Vec<Link>,
    head: [u32; CLASSES],
    tail: [u32; CLASSES],
}

impl Default for Lru {
    fn default() -> Self {
        Lru {
            links: Vec::new(),
            head: [NIL; CLASSES],
            tail: [NIL; CLASSES],
        }
    }
}

impl Lru {
    fn link_mut(&mut self, idx: u32) -> Option<&mut Link> {
        self.links.get_mut(usize::try_from(idx).ok()?)
    }

    /// Appends `idx` to the tail of `class`, unlinking it from wherever it was.
    pub(crate) fn touch(&mut self, idx: u32, class: Class) {
        let i = usize::try_from(idx).unwrap_or(usize::MAX);
        if i >= self.links.len() {
            self.links.resize(i.saturating_add(1), UNLINKED);
        }
        let c = class as usize;
        if self.tail.get(c) == Some(&idx) {
            return;
        }
        self.remove(idx);
        let old_tail = self.tail.get(c).copied().unwrap_or(NIL);
        if let Some(l) = self.link_mut(idx) {
            *l = Link {
                prev: old_tail,
                next: NIL,
                class: class as u8,
            };
        }
        if old_tail == NIL {
            if let Some(h) = self.head.get_mut(c) {
                *h = idx;
            }
        } else if let Some(t) = self.link_mut(old_tail) {
            t.next = idx;
        }
        if let Some(t) = self.tail.get_mut(c) {
            *t = idx;
        }
    }

    /// Unlinks `idx` (no-op if it is not linked).
    pub(crate) fn remove(&mut self, idx: u32) {
        let Some(&l) = self.links.get(usize::try_from(idx).unwrap_or(usize::MAX)) else {
            return;
        };
        let c = usize::from(l.class);
        if c >= CLASSES {
            return;
        }
        if l.prev == NIL {
            if let Some(h) = self.head.get_mut(c) {
                *h = l.next;
            }
        } else if let Some(p) = self.link_mut(l.prev) {
            p.next = l.next;
        }
        if l.next == NIL {
            if let Some(t) = self.tail.get_mut(c) {
                *t = l.prev;
            }
        } else if let Some(n) = self.link_mut(l.next) {
            n.prev = l.prev;
        }
        if let Some(x) = self.link_mut(idx) {
            *x = UNLINKED;
        }
    }

    /// The class `idx` is linked in, if any.
    pub(crate) fn class_of(&self, idx: u32) -> Option<Class> {
        let l = self.links.get(usize::try_from(idx).ok()?)?;
        Class::ALL.get(usize::from(l.class)).copied()
    }

    /// The least recently touched index of `class`.
    pub(crate) fn front(&self, class: Class) -> Option<u32> {
        self.head.get(class as usize).copied().filter(|&h| h != NIL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(l: &mut Lru, c: Class) -> Vec<u32> {
        let mut v = Vec::new();
        while let Some(i) = l.front(c) {
            v.push(i);
            l.remove(i);
        }
        v
    }

    #[test]
    fn order_by_touch_and_move_between_classes() {
        let mut l = Lru::default();
        for i in 0..5 {
            l.touch(i, Class::Tcp);
        }
        l.touch(1, Class::Tcp);
        l.touch(3, Class::Closing);
        l.touch(0, Class::Tcp);
        l.remove(4);
        l.remove(4);
        assert_eq!(drain(&mut l, Class::Tcp), vec![2, 1, 0]);
        assert_eq!(drain(&mut l, Class::Closing), vec![3]);
        assert_eq!(l.front(Class::Udp), None);
    }
}
