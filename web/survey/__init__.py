"""Pages of the survey (排摸): the building stock, the survey's potential map, offers to owners."""
