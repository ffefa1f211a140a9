"""The pages, in teaching order. Each is imported only when first opened, so the window
appears before torch is loaded.

An entry is (page id, title shown in the list, module, class name).
"""

PAGES: list[tuple[str, str, str, str]] = [
    ("convolution", "Convolution", "gui.pages.convolution", "ConvolutionPage"),
    ("pooling", "Pooling", "gui.pages.pooling", "PoolingPage"),
    ("train_cnn", "Train a CNN", "gui.pages.train_cnn", "TrainCnnPage"),
    ("draw_digit", "Draw a digit", "gui.pages.draw_digit", "DrawDigitPage"),
    ("network", "The whole network", "gui.pages.network", "NetworkPage"),
    ("transfer", "Transfer learning", "gui.pages.transfer", "TransferPage"),
    ("rnn_step", "RNN step-through", "gui.pages.rnn_step", "RnnStepPage"),
    ("bptt", "Gradients through time", "gui.pages.bptt", "BpttPage"),
    ("gates", "LSTM & GRU gates", "gui.pages.gates", "GatesPage"),
    ("embeddings", "Embeddings", "gui.pages.embeddings", "EmbeddingsPage"),
]
