"""The models that specify the hardware: numpy golden twins of every block (what the math says), and
later the fast cycle-exact models (what the chip does each cycle). Tests hold the RTL equal to them.
"""
