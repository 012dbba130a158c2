-- 015: which run added each list member (issue 20: `emsyncctl explain` of a
-- list activation names it, as it names the run that acknowledged a
-- contact). NULL for the members added before this schema. A run id is a
-- varint of 1 to 3 bytes in the row, plus its header byte: a few bytes more
-- per member (the 40 bytes issue 20 allows still hold: tests/unit/store).
ALTER TABLE list_members ADD COLUMN added_by_run INTEGER;
