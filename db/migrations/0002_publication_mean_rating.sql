-- The mean training rating mu of an explicit (mf) model. The service embeds new people against
-- the published movies, and mf ratings are predicted as mu + b_u + b_i + p_u . q_i, so the
-- fold-in needs mu; NULL for implicit models and for models that did not record it.
ALTER TABLE publications ADD COLUMN mean_rating double precision
  CHECK (mean_rating IS NULL OR mean_rating BETWEEN -1e6 AND 1e6);
