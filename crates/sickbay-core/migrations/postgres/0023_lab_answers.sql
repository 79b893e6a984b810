-- A test read in words may list the answers its result is chosen from ("Negative, Positive"), and which of
-- them are normal: a result outside those is flagged abnormal without the attendant having to mark it.
ALTER TABLE lab_test ADD COLUMN answers TEXT NOT NULL DEFAULT '';
ALTER TABLE lab_test ADD COLUMN normal_answers TEXT NOT NULL DEFAULT '';
