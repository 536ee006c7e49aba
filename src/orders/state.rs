//! The order state machine, in one place:
//! `pending → paid → shipped`; `pending | paid → cancelled`. Anything else,
//! including a transition to the current state, is a conflict. Cancelling
//! restores stock. Stores enforce it with a conditional UPDATE on the
//! predecessors listed here, so concurrent transitions cannot both win.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Some(match value {
            "pending" => Self::Pending,
            "paid" => Self::Paid,
            "shipped" => Self::Shipped,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// The states from which `self` may be entered.
    pub fn legal_predecessors(self) -> &'static [OrderStatus] {
        match self {
            Self::Pending => &[],
            Self::Paid => &[Self::Pending],
            Self::Shipped => &[Self::Paid],
            Self::Cancelled => &[Self::Pending, Self::Paid],
        }
    }

    /// Whether entering `self` gives the stock back.
    pub fn restores_stock(self) -> bool {
        self == Self::Cancelled
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    fn legal(from: OrderStatus, to: OrderStatus) -> bool {
        to.legal_predecessors().contains(&from)
    }

    #[test]
    fn only_the_documented_transitions_are_legal() {
        let all = [Pending, Paid, Shipped, Cancelled];
        let allowed = [
            (Pending, Paid),
            (Paid, Shipped),
            (Pending, Cancelled),
            (Paid, Cancelled),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    legal(from, to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }
}
