"""The value model (drivers, measured benefits), the ROI cases and the operating model's RACI."""
