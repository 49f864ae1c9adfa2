//! The only way PartnerDesk talks to Trading Grid (placeholder until the client lands).
