"""faqbot: answers residents' questions about Croydon's children's services."""
