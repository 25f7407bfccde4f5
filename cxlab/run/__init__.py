"""Run studies: the run matrix and the Papermill executor."""
