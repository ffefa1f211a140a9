"""The Train a CNN page's explanation (F1) and the clock its ETA is written in."""


EXPLANATION = """
<p>Training repeats one step: take a <b>batch</b> of images, compute the network's outputs and
the <b>cross-entropy loss</b> against the true classes, back-propagate the gradient of the loss
to every weight and move each weight a little against it (the <b>learning rate</b> says how
far; Adam scales the step per weight). One pass over the training images is an <b>epoch</b>.
With the <b>one-cycle</b> schedule the learning rate is not fixed: it warms up from a
twenty-fifth of the rate you set to all of it over the first 30 % of the steps, then anneals to
almost 0 by the last step (the status line shows the rate now). Large steps early cross the
loss landscape fast; small steps late settle into a minimum, so the same accuracy takes fewer
epochs.</p>
<p>The curves show the loss and accuracy of every step (thin) and on the held-out <b>test</b>
images at each epoch's end (dots): when the training accuracy keeps rising while the test
accuracy stalls, the network is <b>over-fitting</b>. Earlier runs stay faded under the current
one, their recipe in the legend, to compare settings. The <b>confusion matrix</b> counts, for
each true class (row), what the network said (column). The tabs show its guesses on fixed test
images, the first layer's filters and the feature maps they make of one image; the
<b>PyTorch code</b> tab is the same loop written out for the current settings, to copy.</p>
"""


def clock_text(seconds: float) -> str:
    """Seconds as m:ss (h:mm:ss from an hour up), for the ETA."""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else \
        f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
