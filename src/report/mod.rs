//! `report`: results files (CSV, JSON) and plots.
