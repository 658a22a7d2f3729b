"""The survey of the district's PV resource (排摸): the building stock, the candidate surfaces derived
from it, the potential map, and buildings offered to owners."""
