"""The programme's weather: the typical year every estimate uses, and measured weather of periods."""
