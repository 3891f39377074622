"""The demo behind `make run`: a workspace, three SDK bots and a runner that starts them."""
