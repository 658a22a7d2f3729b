"""Economics on the pages (issue #20): formatting, the view model of a result, the potential map's figures."""
