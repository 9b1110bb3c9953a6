"""The tiny transformer the chip runs: a task (sort 8 digits), a float model trained in numpy, its
shipped weights, and the int8 model made from them (the layer between the models and the compiler).
"""
